# technique: a huge list by multiplication
# expected: os (RLIMIT_AS)
l = [0] * (4 * 10**9)
