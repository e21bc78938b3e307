/* SPDX-License-Identifier: MIT */
/* Apps, chosen by the first word of the command line; main returns the exit code. */
#ifndef GUEST_APPS_H
#define GUEST_APPS_H

struct app {
	const char *name;
	int (*main)(int argc, char **argv);
};

const struct app *app_find(const char *name);
int selftest_main(int argc, char **argv);
int grant_test_main(int argc, char **argv);
int grant_offer_main(int argc, char **argv);
/* evtchn_apps.c */
int evtchn_ping_main(int argc, char **argv);
int evtchn_test_main(int argc, char **argv);
int xenstore_test_main(int argc, char **argv);
int idle_main(int argc, char **argv);
/*
 * The toolstack's control/shutdown, for apps that run until asked: 1 for poweroff (after
 * printing "TAG: shutdown requested"), 0 otherwise; reboot restarts the domain at once.
 */
int app_shutdown_requested(const char *tag);
int xswatch_main(int argc, char **argv);
/* blk_apps.c */
int blktest_main(int argc, char **argv);
int blkbench_main(int argc, char **argv);
/* clock_apps.c */
int wallclock_main(int argc, char **argv);
/* console_apps.c */
int console_echo_main(int argc, char **argv);
int console_bad_main(int argc, char **argv);
/* net_apps.c */
int ping_main(int argc, char **argv);
int udp_echo_main(int argc, char **argv);
int netbench_main(int argc, char **argv);
int netverify_main(int argc, char **argv);
/* stress_apps.c */
int blkverify_main(int argc, char **argv);
int blkhostile_main(int argc, char **argv);
/* xsbench_apps.c */
int xsbench_main(int argc, char **argv);
int xsflood_main(int argc, char **argv);
/* xenabi_apps.c */
int xenabi_main(int argc, char **argv);

#endif
