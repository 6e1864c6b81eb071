#!/bin/sh
# make demo: boot the PV guest under hv and show its console.
echo "(filled in when hv and the guest exist)"
