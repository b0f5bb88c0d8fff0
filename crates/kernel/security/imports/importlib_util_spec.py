# technique: importlib.util.spec_from_file_location on a scratch file
# expected: lint, runtime
import importlib.util
open('e3.py', 'w').write("print('ESCAPED')\n")
spec = importlib.util.spec_from_file_location('e3', 'e3.py')
m = importlib.util.module_from_spec(spec)
spec.loader.exec_module(m)
