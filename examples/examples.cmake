# Generates ${CMAKE_BINARY_DIR}/examples/*.xml from the templates here, pointing <kernel> at
# the guest kernel this build produces. Included from xml/CMakeLists.txt.
set(SV_GUEST_KERNEL ${CMAKE_BINARY_DIR}/guest/splitvisor-guest)
set(SV_DISK_IMAGE ${CMAKE_BINARY_DIR}/examples/disk.img)
set(SV_PYGRUB_IMAGE ${CMAKE_BINARY_DIR}/examples/pygrub.img)
# Debian's kernel and initramfs from scripts/linux-guest.sh, and the disk scripts/demo.sh makes.
set(SV_LINUX_DIR ${PROJECT_SOURCE_DIR}/build-linux)
set(SV_LINUX_DISK ${CMAKE_BINARY_DIR}/examples/linux-disk.img)
set(SV_XML_EXAMPLES hello selftest crash spin idle disk net net-echo driver-domain dd-guest
	pygrub linux)
foreach(example ${SV_XML_EXAMPLES})
	configure_file(${PROJECT_SOURCE_DIR}/examples/${example}.xml.in
		${CMAKE_BINARY_DIR}/examples/${example}.xml @ONLY)
endforeach()
