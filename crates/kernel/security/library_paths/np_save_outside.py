# technique: np.save outside scratch
# expected: runtime, os
np.save('{CANARY_DIR}/x.npy', np.ones(3))
