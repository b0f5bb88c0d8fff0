# technique: read the perception token file
# expected: runtime, os
print(open('{TOKEN_FILE}').read())
