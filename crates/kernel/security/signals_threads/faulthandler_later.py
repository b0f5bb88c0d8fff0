# technique: faulthandler.dump_traceback_later writes to a file
# expected: lint, runtime, os
import faulthandler
faulthandler.dump_traceback_later(0.1, file=open('{CANARY_DIR}/fh.txt', 'w'))
