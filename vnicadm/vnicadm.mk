# vnicadm: build rules (filled in with the component)
