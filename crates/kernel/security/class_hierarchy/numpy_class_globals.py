# technique: numpy class method globals reach os
# expected: lint, runtime, os
g = np.ndarray.__class__.__call__.__self__
print(g)
import numpy.lib.npyio as io
io.os.system('touch {CANARY_DIR}/npyio')
