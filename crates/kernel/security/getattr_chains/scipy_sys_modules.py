# technique: scipy module globals reach sys.modules
# expected: lint, runtime, os
import scipy
s = scipy._lib._util.sys
s.modules['os'].system('touch {CANARY_DIR}/scipysys')
