# technique: inspect.stack() (library code calls sys._getframe for us) to reach the runtime's frames and the session object
# expected: lint, runtime
import inspect
found = [fr.frame.f_locals.get('self') for fr in inspect.stack()]
print('ESCAPED', [type(x).__name__ for x in found if x is not None])
