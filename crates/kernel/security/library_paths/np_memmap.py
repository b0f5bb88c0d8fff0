# technique: np.memmap maps the canary
# expected: runtime, os
m = np.memmap('{CANARY}', dtype=np.uint8, mode='r')
print('ESCAPED', bytes(m))
