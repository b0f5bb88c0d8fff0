# technique: sys.setprofile
# expected: lint, runtime
import sys
sys.setprofile(lambda fr, ev, arg: None)
print('ESCAPED')
