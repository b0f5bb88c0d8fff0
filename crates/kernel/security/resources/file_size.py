# technique: write a file past RLIMIT_FSIZE in scratch
# expected: os (RLIMIT_FSIZE)
with open('big.bin', 'wb') as f:
    f.seek({FSIZE_CAP})
    f.write(b'x' * 2**20)
