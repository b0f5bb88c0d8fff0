# technique: np.savetxt outside scratch
# expected: runtime, os
np.savetxt('{CANARY_DIR}/x.txt', np.ones(3))
