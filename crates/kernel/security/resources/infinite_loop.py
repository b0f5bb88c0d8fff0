# technique: busy loop past the time limit
# expected: host (interrupt)
while True:
    pass
