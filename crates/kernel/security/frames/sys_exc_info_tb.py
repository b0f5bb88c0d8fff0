# technique: sys.exc_info()[2].tb_frame
# expected: lint, runtime
import sys
try:
    raise ValueError
except ValueError:
    tb = sys.exc_info()[2]
print('ESCAPED', tb.tb_frame.f_back.f_locals.keys())
