# technique: scipy.io.loadmat on the canary
# expected: runtime, os
import scipy.io
print('ESCAPED', scipy.io.loadmat('{CANARY}'))
