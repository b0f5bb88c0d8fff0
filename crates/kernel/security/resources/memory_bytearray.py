# technique: a 20 GB bytearray
# expected: os (RLIMIT_AS)
b = bytearray(20 * 2**30)
