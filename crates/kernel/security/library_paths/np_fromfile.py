# technique: np.fromfile reads the canary
# expected: runtime, os
print('ESCAPED', np.fromfile('{CANARY}', dtype=np.uint8).tobytes())
