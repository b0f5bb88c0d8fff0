# technique: a 50 GB allocation
# expected: os (RLIMIT_AS)
x = np.ones(50 * 10**9, dtype=np.uint8)
