/* v2_protected.c — format 2's protected pages: alloc, free and write each end in one
 * root commit (v2_commit), so each is atomic; a new page's readable copy is zeroed and
 * synced before a root names it; every read verifies the copy against its entry's
 * CRC. The directory write puts a block's new directory page into both pages of the
 * pair no recoverable root reads. docs/format-2.md says why each step is safe. */
#include "v2_int.h"

#include <string.h>

static uint8_t *page_at(pager *p, uint64_t n) { return p->map + n * p->ps; }

static int sync_page(pager *p, pio_point pt, uint64_t n)
{
	return pio_sync(&p->io, pt, p->file, p->map, n * p->ps, p->ps);
}

/* The entry of id, or NULL; *block receives its block. */
static fmt_entry *entry_at(pager *p, uint64_t id, uint32_t *block)
{
	v2_state *s = &p->v2->s;
	uint64_t b = id / s->epp;
	if (b >= s->nblocks)
		return NULL;
	*block = (uint32_t)b;
	return s->entries + (size_t)b * s->epp + id % s->epp;
}

static fmt_entry *live_entry(pager *p, uint64_t id, uint32_t *block)
{
	fmt_entry *e = entry_at(p, id, block);
	return e && e->in_use ? e : NULL;
}

/* Block b's directory page (its entries in memory, stamped with the generation of the
 * coming commit) into both pages of the pair the current root does not name, each
 * synced; then that pair is the block's current one, in memory only — the root commit
 * publishes it. fresh: a new block, which has no current pair: pair 0.
 * Durable before and after, whatever fails: the last commit, whose root names the
 * other pair (or no block at all). The two copies are the same bytes: either alone
 * serves recovery, so rot or a misdirected write of one is survived. */
static int dir_write(pager *p, uint32_t b, int fresh)
{
	struct pager_v2 *v = p->v2;
	v2_state *s = &v->s;
	v2_block *blk = &s->blocks[b];
	uint8_t pair = fresh ? 0 : (uint8_t)(1 - blk->active);
	uint32_t crc = v2_dir_encode(v->buf, s->ps, b, s->generation + 1, s->entries + (size_t)b * s->epp);
	static const pio_point pts[2] = {PIO_DIRCOMMIT2_DIR1_SYNC, PIO_DIRCOMMIT2_DIR2_SYNC};
	for (unsigned copy = 0; copy < 2; copy++) {
		/* pager/dircommit2/dir1_sync, dir2_sync: one mirror copy, then msync. */
		uint64_t pg = blk->page[pair][copy];
		memcpy(page_at(p, pg), v->buf, s->ps);
		int e = sync_page(p, pts[copy], pg);
		if (e)
			return pager_io_error(e);
	}
	blk->active = pair;
	blk->crc = crc;
	return PAGER_OK;
}

/* After step 2 of an op failed (nothing a recoverable root names was touched). */
static int abort_op(pager *p, int rc)
{
	v2_txn_abort(p);
	return rc;
}

int v2_alloc_protected(pager *p, uint64_t *id)
{
	struct pager_v2 *v = p->v2;
	v2_state *s = &v->s;
	uint32_t b = UINT32_MAX, slot = 0;
	uint64_t pg[2];
	int rc, e;
	if (v->poisoned)
		return PAGER_EUNAVAILABLE;
	for (uint32_t bb = 0; bb < s->nblocks && b == UINT32_MAX; bb++)
		for (uint32_t ss = 0; ss < s->epp; ss++)
			if (!s->entries[(size_t)bb * s->epp + ss].in_use) {
				b = bb;
				slot = ss;
				break;
			}
	int fresh = b == UINT32_MAX;
	if (fresh) {
		/* A new block: its record must fit the root beside the bitmap it has now. */
		b = s->nblocks;
		if (!v2_root_fits(s->ps, (uint64_t)b + 1, s->total))
			return PAGER_EDIRECTORY_FULL;
		if ((rc = v2_state_reserve_blocks(s, b + 1)))
			return rc;
	}
	if ((rc = v2_txn_begin(p, fresh ? UINT32_MAX : b)))
		return rc;
	fmt_entry *ents = s->entries + (size_t)b * s->epp;
	if (fresh) {
		/* Four directory pages (two mirrored pairs), taken with the record counted:
		 * a grow in this op stays within what the root with the new block holds. */
		memset(ents, 0, s->epp * sizeof *ents);
		s->blocks[b] = (v2_block){0};
		s->nblocks = b + 1;
		for (unsigned pair = 0; pair < 2; pair++)
			for (unsigned copy = 0; copy < 2; copy++) {
				if ((rc = v2_take_page(p, &s->blocks[b].page[pair][copy])))
					return abort_op(p, rc);
				v2_set(s->internal, s->blocks[b].page[pair][copy]);
			}
	}
	for (unsigned c = 0; c < 2; c++) {
		if ((rc = v2_take_page(p, &pg[c])))
			return abort_op(p, rc);
		v2_set(s->internal, pg[c]);
	}
	/* Step 1 (pager/palloc2/zero_sync): the readable copy is zeroed and synced, so the
	 * CRC the entry records describes durable bytes (a reused page's old bytes may never
	 * have reached disk). Durable: the last commit, in which the page is free. The other
	 * copy is not read before a protected commit fills and syncs it. */
	memset(page_at(p, pg[0]), 0, s->ps);
	if ((e = sync_page(p, PIO_PALLOC2_ZERO_SYNC, pg[0])))
		return abort_op(p, pager_io_error(e));
	ents[slot] = (fmt_entry){.in_use = 1, .page_a = pg[0], .page_b = pg[1], .active_slot = 0,
				 .generation = 0, .checksum = v->zero_crc};
	/* Step 2: the block's new directory page, mirrored, synced (dir_write). */
	if ((rc = dir_write(p, b, fresh)))
		return abort_op(p, rc);
	/* Step 3: the root commit publishes the bitmap, the block record and the entry at
	 * once: a crash before it leaves the page free and unnamed, after it, in use. */
	if ((rc = v2_commit(p)))
		return rc;
	*id = (uint64_t)b * s->epp + slot;
	return PAGER_OK;
}

int v2_free_protected(pager *p, uint64_t id)
{
	struct pager_v2 *v = p->v2;
	v2_state *s = &v->s;
	uint32_t b;
	int rc;
	if (v->poisoned)
		return PAGER_EUNAVAILABLE;
	fmt_entry *ent = entry_at(p, id, &b);
	if (!ent)
		return PAGER_EOUT_OF_BOUNDS;
	if (!ent->in_use)
		return PAGER_EDOUBLE_FREE;
	if ((rc = v2_txn_begin(p, b)))
		return rc;
	uint64_t pg[2] = {ent->page_a, ent->page_b};
	for (unsigned c = 0; c < 2; c++) {
		v2_clear(s->bitmap, pg[c]);
		v2_clear(s->internal, pg[c]);
	}
	s->free_count += 2;
	*ent = (fmt_entry){0};
	/* Step 1: the directory page without the entry (dir_write). Step 2: the root
	 * commit frees the slot and both copies at once — no window where the copies are
	 * allocated and unnamed (the seed's leak), nor free while named. */
	if ((rc = dir_write(p, b, 0)))
		return abort_op(p, rc);
	return v2_commit(p);
}

int v2_protected_read(pager *p, uint64_t id, const uint8_t **data)
{
	uint32_t b;
	if (p->v2->poisoned || !p->map)
		return PAGER_EUNAVAILABLE;
	const fmt_entry *e = live_entry(p, id, &b);
	if (!e)
		return PAGER_EOUT_OF_BOUNDS;
	uint64_t phys = e->active_slot ? e->page_b : e->page_a;
	/* Every read is verified: the copy must be the bytes its entry's CRC describes
	 * (rot, a misdirected or lost write is reported, never handed back). */
	if (fmt_crc(0, page_at(p, phys), p->ps) != e->checksum)
		return PAGER_ECORRUPT_PAGE;
	*data = page_at(p, phys);
	return PAGER_OK;
}

int v2_protected_begin(pager *p, uint64_t id, pager_pwrite *w)
{
	uint32_t b;
	if (p->v2->poisoned || !p->map)
		return PAGER_EUNAVAILABLE;
	const fmt_entry *e = live_entry(p, id, &b);
	if (!e)
		return PAGER_EOUT_OF_BOUNDS;
	uint8_t slot = (uint8_t)(1 - e->active_slot);
	uint64_t phys = slot ? e->page_b : e->page_a;
	/* The inactive copy: no root's readable copy, so writing it changes nothing durable. */
	*w = (pager_pwrite){.id = id, .page = phys, .slot = slot, .data = page_at(p, phys), .epoch = p->epoch};
	return PAGER_OK;
}

int v2_protected_commit(pager *p, pager_pwrite *w)
{
	struct pager_v2 *v = p->v2;
	uint32_t b;
	int rc, e;
	if (!w->data || w->epoch != p->epoch)
		return PAGER_EINVAL;
	p->epoch++;
	w->data = NULL;
	if (v->poisoned || !p->map)
		return PAGER_EUNAVAILABLE;
	fmt_entry *ent = live_entry(p, w->id, &b);
	if (!ent || w->slot > 1 || w->page != (w->slot ? ent->page_b : ent->page_a) || w->slot == ent->active_slot)
		return PAGER_EINVAL;
	/* Step 1 (pager/protcommit2/data_sync): msync the filled copy. Durable: the last
	 * commit, whose readable copy is the other one. */
	if ((e = sync_page(p, PIO_PROTCOMMIT2_DATA_SYNC, w->page)))
		return pager_io_error(e);
	/* The CRC of exactly the bytes just synced. */
	uint32_t crc = fmt_crc(0, page_at(p, w->page), p->ps);
	if ((rc = v2_txn_begin(p, b)))
		return rc;
	ent->active_slot = w->slot;
	ent->generation++;
	ent->checksum = crc;
	/* Step 2: the directory page with the flipped entry (dir_write); step 3: the root
	 * commit makes the new copy the readable one. */
	if ((rc = dir_write(p, b, 0)))
		return abort_op(p, rc);
	return v2_commit(p);
}

int v2_foreach_protected(pager *p, pager_page_fn fn, void *arg)
{
	v2_state *s = &p->v2->s;
	int r = 0;
	for (uint32_t b = 0; b < s->nblocks && !r; b++)
		for (uint32_t i = 0; i < s->epp && !r; i++)
			if (s->entries[(size_t)b * s->epp + i].in_use)
				r = fn(arg, (uint64_t)b * s->epp + i);
	return r;
}

int v2_protected_info_get(pager *p, uint64_t id, pager_protected_info *out)
{
	uint32_t b;
	const fmt_entry *e = live_entry(p, id, &b);
	if (!e)
		return PAGER_EOUT_OF_BOUNDS;
	*out = (pager_protected_info){.page_a = e->page_a, .page_b = e->page_b, .active_slot = e->active_slot,
				      .generation = e->generation, .checksum = e->checksum};
	return PAGER_OK;
}
