/* oplog_pages.c — page accounting: the format's counting rules (a new file has 4 pages,
 * 3 reserved; an alloc with no free page doubles the file; a palloc takes 2 pages, plus
 * 2 directory pages when every directory block is full), shared by the generator's caps,
 * the byte decoder's caps and oplog_stats_of. An estimate, not the oracle: the model is. */
#include "oplog_int.h"

#include <string.h>

/* Generated logs never make the file grow past what one metadata bitmap describes
 * ((ps - 28) * 8 pages: the pager refuses that cleanly, and that refusal deserves its
 * own hand-written test), nor past 16384 pages, so that a simulated disk of a large
 * random log still fits in memory. The file doubles from 4, so its size is 4 * 2^k:
 * capping used pages at the largest such size under both limits caps the file. */
#define OPLOG_GEN_MAX_PAGES 16384u
void oplog_pages_init(oplog_pages *pg, unsigned log2)
{
	uint64_t ps = (uint64_t)1 << log2;
	uint64_t bitmap_pages = (ps - 28) * 8;
	uint64_t cap = 4;
	while (cap * 2 <= bitmap_pages && cap * 2 <= OPLOG_GEN_MAX_PAGES)
		cap *= 2;
	memset(pg, 0, sizeof *pg);
	pg->total = 4;
	pg->used = 3;
	pg->peak_used = 3;
	pg->cap_used = cap;
	pg->max_blocks = (size_t)((ps - 28) / 17);
	pg->dir_cap = (size_t)((ps - 12) / 30);
}

/* Pages a palloc takes now: 2, or 4 when every directory block is full. */
static uint64_t oplog_pages_palloc_need(const oplog_pages *pg)
{
	return pg->live_prot == pg->blocks * pg->dir_cap ? 4 : 2;
}

int oplog_pages_can(const oplog_pages *pg, oplog_kind k)
{
	switch (k) {
	case OPLOG_ALLOC:
		return pg->used + 1 <= pg->cap_used;
	case OPLOG_PALLOC:
		if (pg->live_prot == pg->blocks * pg->dir_cap && pg->blocks >= pg->max_blocks)
			return 0; /* DirectoryFull: a valid log, but not what random logs are for */
		return pg->used + oplog_pages_palloc_need(pg) <= pg->cap_used;
	case OPLOG_FREE: case OPLOG_FILL:
		return pg->live_reg > 0;
	case OPLOG_PFREE: case OPLOG_PWRITE: case OPLOG_PSTAGE:
		return pg->live_prot > 0;
	default:
		return 1;
	}
}

/* One page from the allocator, doubling the file when none is free (alloc_one_raw). */
static void oplog_pages_take(oplog_pages *pg, uint64_t n)
{
	while (n-- > 0) {
		if (pg->used == pg->total) {
			pg->total *= 2;
			pg->grows++;
		}
		pg->used++;
	}
	if (pg->used > pg->peak_used)
		pg->peak_used = pg->used;
}

void oplog_pages_apply(oplog_pages *pg, oplog_kind k)
{
	switch (k) {
	case OPLOG_ALLOC:
		oplog_pages_take(pg, 1);
		if (++pg->live_reg > pg->peak_reg)
			pg->peak_reg = pg->live_reg;
		break;
	case OPLOG_FREE:
		pg->used--;
		pg->live_reg--;
		break;
	case OPLOG_PALLOC:
		if (pg->live_prot == pg->blocks * pg->dir_cap) {
			pg->blocks++;
			oplog_pages_take(pg, 4);
		} else {
			oplog_pages_take(pg, 2);
		}
		if (++pg->live_prot > pg->peak_prot)
			pg->peak_prot = pg->live_prot;
		break;
	case OPLOG_PFREE:
		pg->used -= 2;
		pg->live_prot--;
		break;
	default:
		break;
	}
}

int oplog_stats_of(const oplog *log, oplog_stats *st)
{
	oplog_pages pg;
	if (st == NULL)
		return -1;
	memset(st, 0, sizeof *st);
	if (oplog_validate(log) != 0)
		return -1;
	oplog_pages_init(&pg, log->page_log2);
	for (size_t i = 0; i < log->nops; i++) {
		st->count[log->ops[i].kind]++;
		oplog_pages_apply(&pg, log->ops[i].kind);
	}
	st->peak_live_regular = pg.peak_reg;
	st->peak_live_protected = pg.peak_prot;
	st->dir_blocks = pg.blocks;
	st->dir_capacity = pg.dir_cap;
	st->pages = pg.total;
	st->used_pages = pg.used;
	st->peak_used_pages = pg.peak_used;
	st->grows = pg.grows;
	return 0;
}
