# technique: logging.currentframe() (a library lambda around sys._getframe) then f_back into the runtime
# expected: lint, runtime
import logging
f = logging.currentframe()
while f is not None and 'self' not in f.f_locals:
    f = f.f_back
if f is not None:
    print('ESCAPED', type(f.f_locals['self']).__name__)
