# technique: scipy.io.savemat outside scratch
# expected: runtime, os
import scipy.io
scipy.io.savemat('{CANARY_DIR}/x.mat', {'a': np.ones(2)})
