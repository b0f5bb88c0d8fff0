# technique: np.genfromtxt reads the perception token file
# expected: runtime, os
print('ESCAPED', np.genfromtxt('{TOKEN_FILE}', dtype=str))
