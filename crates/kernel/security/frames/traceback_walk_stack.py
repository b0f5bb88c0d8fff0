# technique: traceback.walk_stack(None)
# expected: lint, runtime
import traceback
print('ESCAPED', [f.f_code.co_filename for f, _ in traceback.walk_stack(None)])
