# technique: np.memmap mode r+ writes the canary
# expected: runtime, os
m = np.memmap('{CANARY}', dtype=np.uint8, mode='r+')
m[:5] = 65
m.flush()
