# technique: format_map with a module to print os.environ
# expected: lint, runtime
import os
print('{m.environ}'.format_map({'m': os}))
