/* tornpage.h — the public API of libtornpage, the crash-consistency harness, in one
 * include. Each part has its own header under tornpage/ (libgit2-style); include only
 * what you use if you prefer. The pager under test has its own headers (pager.h,
 * pager_io.h, pager_inspect.h, pager_codec.h), installed beside these.
 *
 *   tornpage/version.h   TORNPAGE_VERSION and tornpage_version()
 *   tornpage/oplog.h     operation logs: parse, print, generate, decode fuzzer bytes
 *   tornpage/model.h     the oracle: what the file must hold after each op
 *   tornpage/mcheck.h    the model check after every op, at the cost of what it changed
 *   tornpage/replay.h    run a log's ops against a pager over any pager_io
 *   tornpage/simdisk.h   the simulated disk (a pager_io with a cache and a disk)
 *   tornpage/dfault.h    disk faults beyond lost units: torn garbage, rot, misdirected
 *                        writes, lying syncs, lost size changes
 *   tornpage/subsets.h   which dirty units reached disk: the crash images of one point
 *   tornpage/crash.h     crash-state search over a log, judged image by image
 *   tornpage/verdicts.h  the verdict table (ids used by every report and reproducer)
 *   tornpage/matrix.h    the fault matrix (libfiu points x hits x modes x errnos)
 *   tornpage/report.h    matrix reports: text, JSON, JUnit, Markdown; read and merge
 *   tornpage/image.h     what inspect and check say about an image, as text or JSON
 *   tornpage/repro.h     reproducers: parse, print, replay, save, signatures
 *   tornpage/shrink.h    minimize a reproducer (ddmin)
 *   tornpage/baseline.h  known findings: a directory of reproducers
 *   tornpage/html.h      one self-contained HTML page: heat maps, stories, unit maps
 *
 * Conventions (every header): functions return 0 on success and a negative value or a
 * count of problems otherwise, as each header states; messages go to a caller's buffer
 * or callback. The library never writes to stdout: writers take a FILE *. */
#ifndef TORNPAGE_H
#define TORNPAGE_H

#include "tornpage/version.h"
#include "tornpage/oplog.h"
#include "tornpage/model.h"
#include "tornpage/mcheck.h"
#include "tornpage/replay.h"
#include "tornpage/simdisk.h"
#include "tornpage/dfault.h"
#include "tornpage/subsets.h"
#include "tornpage/crash.h"
#include "tornpage/verdicts.h"
#include "tornpage/matrix.h"
#include "tornpage/report.h"
#include "tornpage/image.h"
#include "tornpage/repro.h"
#include "tornpage/shrink.h"
#include "tornpage/baseline.h"
#include "tornpage/html.h"

#endif
