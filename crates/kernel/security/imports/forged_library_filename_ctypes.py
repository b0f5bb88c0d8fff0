# technique: code under a forged library file name imports ctypes
# expected: lint, runtime (blocked imports hold for every caller)
import codeop, types, os
fake = os.path.dirname(np.__file__) + '/_forged4.py'
src = "import ctypes\nprint('ESCAPED', ctypes.string_at(id(1), 8))\n"
types.FunctionType(codeop.compile_command(src, fake, 'exec'), {'__builtins__': __builtins__})()
