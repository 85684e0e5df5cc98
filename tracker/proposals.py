def propose(source):
    return []
