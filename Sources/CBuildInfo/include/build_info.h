#ifndef SNOWPIPED_BUILD_INFO_H
#define SNOWPIPED_BUILD_INFO_H

/// Which build this is: the git commit the package manifest saw (and `+changes` when the tree had uncommitted
/// changes), or `unknown build` outside a git checkout. Set by Package.swift through SNOWPIPED_BUILD.
const char *snowpiped_build(void);

#endif
