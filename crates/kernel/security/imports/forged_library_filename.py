# technique: compile code through a library helper under a forged library file name, so the hook takes it for library code
# expected: lint, runtime (compile/exec and imports are refused whoever asks), os
import codeop, types, os
fake = os.path.dirname(np.__file__) + '/_forged.py'
code = codeop.compile_command("import subprocess\nsubprocess.run(['touch', '{CANARY_DIR}/forged'])\n", fake, 'exec')
types.FunctionType(code, {'__builtins__': __builtins__})()
