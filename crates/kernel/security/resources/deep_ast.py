# technique: a deeply nested expression
# expected: lint (parser bound) or runtime
x = (((((((((((((((((((((((((((((((((((((((((((((((((1)))))))))))))))))))))))))))))))))))))))))))))))))
print(x)
