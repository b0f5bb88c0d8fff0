# technique: call the runtime's own socket connector to reach a Unix socket of our choice
# expected: runtime, os
import sys
c = sys.modules['spatialclaw_kernel.session']._connector('{CANARY_DIR}/sock', 'x')
c(False)
print('ESCAPED')
