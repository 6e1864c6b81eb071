# guestdrv/: the PV guest kernel, build/guest/minios.elf (freestanding).
# (filled in by the guest kernel work)
