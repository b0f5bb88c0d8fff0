# technique: os.path.os is os again
# expected: lint, runtime, os
import posixpath
posixpath.os.system('touch {CANARY_DIR}/posix')
