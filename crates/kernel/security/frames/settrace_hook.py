# technique: sys.settrace to observe runtime frames
# expected: lint, runtime
import sys
sys.settrace(lambda fr, ev, arg: print('ESCAPED', fr.f_code.co_name))
