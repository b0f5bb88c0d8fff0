# technique: open file descriptors until the limit
# expected: os (RLIMIT_NOFILE)
fs = []
for i in range(100000):
    fs.append(open('fd.txt', 'w'))
