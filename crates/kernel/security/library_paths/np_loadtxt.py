# technique: np.loadtxt reads the canary
# expected: runtime, os
print('ESCAPED', np.loadtxt('{CANARY}', dtype=str))
