# technique: code under a forged library file name uses gc to find the audit hook's closure
# expected: lint, runtime
import codeop, types, os
fake = os.path.dirname(np.__file__) + '/_forged3.py'
src = "import gc\nprint('ESCAPED', len(gc.get_objects()))\n"
types.FunctionType(codeop.compile_command(src, fake, 'exec'), {'__builtins__': __builtins__})()
