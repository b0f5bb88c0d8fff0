# technique: sys._getframe().f_back to the runtime's frame
# expected: lint, runtime
import sys
f = sys._getframe()
while f.f_back:
    f = f.f_back
print('ESCAPED', list(f.f_globals)[:5])
