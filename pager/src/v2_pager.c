/* v2_pager.c — format 2: create, open, close, regular pages, growth, and the root
 * commit every op ends with. The layout and why each step is safe: docs/format-2.md;
 * each step below says what is durable when it runs (LMDB/SQLite style), with the
 * fault point of its I/O call. Protected pages and the directory write are in
 * v2_protected.c; recovery in v2_load.c.
 *
 * How an op runs (the same for alloc, free, palloc, pfree and a protected commit):
 *   1. v2_txn_begin saves what the op may change (scalars, bitmap, records, one
 *      block's entries) — memory is then changed freely;
 *   2. pages no recoverable root names are written and synced: a new protected page's
 *      copy, the block's inactive directory pair, the filled inactive copy. A failure
 *      here leaves the durable state untouched: the op rolls back in memory and
 *      returns the error; the pager goes on.
 *   3. v2_commit writes the next root into the two target slots, each synced. That is
 *      the commit point. If a root sync fails, both target slots are rewritten with
 *      the last commit's root and synced (the rollback): when that succeeds, disk and
 *      memory hold the last commit and the pager goes on; when it fails, the disk may
 *      hold either generation and no further write can settle it, so the pager is
 *      fail-stop (poisoned) until reopened — LMDB's MDB_PANIC — and reopening reads
 *      whichever the file holds.
 * Why not always roll back, or always stop: a failed sync of pages no root names
 * changes nothing recovery reads, so stopping there would only lose availability;
 * after a failed root sync the outcome on disk is unknown (a failed msync may have
 * written any part of its range, and Linux marks the rest clean), so going on without
 * a durable rollback could build the next commit on a state the disk does not have. */
#include "v2_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static uint8_t *page_at(pager *p, uint64_t n) { return p->map + n * p->ps; }

/* ---- state and undo ---- */

static int v2_new(pager *p, unsigned log2)
{
	struct pager_v2 *v = calloc(1, sizeof *v);
	if (!v)
		return PAGER_ENOMEM;
	p->v2 = v;
	v->s.ps = (size_t)1 << log2;
	v->s.log2 = log2;
	v->s.first_data = v2_first_data(v->s.ps);
	v->s.epp = v2_dir_capacity(v->s.ps);
	v->u.block = UINT32_MAX;
	if (!(v->buf = calloc(1, v->s.ps)))
		return PAGER_ENOMEM;
	v->zero_crc = fmt_crc(0, v->buf, v->s.ps);
	return PAGER_OK;
}

void v2_release(pager *p)
{
	struct pager_v2 *v = p->v2;
	if (!v)
		return;
	v2_state_free(&v->s);
	free(v->u.bitmap);
	free(v->u.internal);
	free(v->u.blocks);
	free(v->u.ents);
	free(v->buf);
	free(v);
	p->v2 = NULL;
}

int v2_txn_begin(pager *p, uint32_t block)
{
	struct pager_v2 *v = p->v2;
	v2_state *s = &v->s;
	v2_undo *u = &v->u;
	size_t blen = fmt_bitmap_len(s->total);
	if (blen > u->bm_cap) {
		uint8_t *b = realloc(u->bitmap, blen);
		if (!b)
			return PAGER_ENOMEM;
		u->bitmap = b;
		uint8_t *i = realloc(u->internal, blen);
		if (!i)
			return PAGER_ENOMEM;
		u->internal = i;
		u->bm_cap = blen;
	}
	if (s->nblocks > u->blk_cap) {
		v2_block *r = realloc(u->blocks, s->nblocks * sizeof *r);
		if (!r)
			return PAGER_ENOMEM;
		u->blocks = r;
		u->blk_cap = s->nblocks;
	}
	if (!u->ents && !(u->ents = malloc(s->epp * sizeof *u->ents)))
		return PAGER_ENOMEM;
	u->generation = s->generation;
	u->total = s->total;
	u->free_count = s->free_count;
	u->nblocks = s->nblocks;
	memcpy(u->slot_gen, s->slot_gen, sizeof u->slot_gen);
	memcpy(u->bitmap, s->bitmap, blen);
	memcpy(u->internal, s->internal, blen);
	if (s->nblocks)
		memcpy(u->blocks, s->blocks, s->nblocks * sizeof *u->blocks);
	u->block = block < s->nblocks ? block : UINT32_MAX;
	if (u->block != UINT32_MAX)
		memcpy(u->ents, s->entries + (size_t)block * s->epp, s->epp * sizeof *u->ents);
	return PAGER_OK;
}

void v2_txn_abort(pager *p)
{
	struct pager_v2 *v = p->v2;
	v2_state *s = &v->s;
	v2_undo *u = &v->u;
	size_t blen = fmt_bitmap_len(u->total);
	/* A grow in the op made the arrays longer: the bytes past the old total go back to
	 * zero, as a later grow expects of pages it adds. */
	memset(s->bitmap + blen, 0, s->bm_cap - blen);
	memset(s->internal + blen, 0, s->bm_cap - blen);
	memcpy(s->bitmap, u->bitmap, blen);
	memcpy(s->internal, u->internal, blen);
	s->generation = u->generation;
	s->total = u->total;
	s->free_count = u->free_count;
	s->nblocks = u->nblocks;
	memcpy(s->slot_gen, u->slot_gen, sizeof s->slot_gen);
	if (u->nblocks)
		memcpy(s->blocks, u->blocks, u->nblocks * sizeof *s->blocks);
	if (u->block != UINT32_MAX)
		memcpy(s->entries + (size_t)u->block * s->epp, u->ents, s->epp * sizeof *u->ents);
	u->block = UINT32_MAX;
}

/* ---- growth ---- */

/* Fail-stop: the mapping or the durable state is unknown until the file is reopened. */
static int poison(pager *p, int rc)
{
	p->v2->poisoned = 1;
	return rc;
}

/* Extend the page count to what the root can describe next (double, capped) and the
 * file to hold it. Nothing is written: the new pages are free in memory and reach a
 * root with the op's commit. The file never shrinks: a file already long enough (a
 * grow whose map failed left it so) is not resized. */
static int grow(pager *p)
{
	v2_state *s = &p->v2->s;
	uint64_t total = s->total, next = v2_grown(s->ps, s->nblocks, total);
	int e;
	if (next <= total)
		return PAGER_EBITMAP_FULL; /* the root page describes no more pages */
	if (v2_state_reserve_pages(s, next))
		return PAGER_ENOMEM;
	uint64_t size = next * s->ps; /* next <= 8 * ps and ps <= 2^30: no overflow */
	if (p->file_len < size) {
		/* pager/grow2/unmap: drop the mapping (the I/O layer refuses set_len under
		 * one). Durable: the last commit. A failure leaves the mapping in an unknown
		 * state: fail-stop. */
		e = pio_unmap(&p->io, PIO_GROW2_UNMAP, p->file, p->map, p->map_len);
		p->map = NULL;
		if (e)
			return poison(p, pager_io_error(e));
		/* pager/grow2/set_len: extend the file. Durable: the last commit, whose root
		 * names only pages of the old length; a size change lost in a crash drops
		 * pages no durable root names (the first sync of the op persists the size). */
		if ((e = pio_set_len(&p->io, PIO_GROW2_SET_LEN, p->file, size))) {
			/* pager/grow2/restore_map: map the unchanged file again and roll back. */
			int e2 = pio_map(&p->io, PIO_GROW2_RESTORE_MAP, p->file, p->file_len, &p->map);
			if (e2) {
				p->map = NULL;
				return poison(p, pager_io_error(e));
			}
			p->map_len = p->file_len;
			return pager_io_error(e);
		}
		p->file_len = size;
		/* pager/grow2/map: map the longer file. On failure there is no mapping:
		 * fail-stop; the longer file is harmless (no root names its new pages). */
		if ((e = pio_map(&p->io, PIO_GROW2_MAP, p->file, size, &p->map))) {
			p->map = NULL;
			return poison(p, pager_io_error(e));
		}
		p->map_len = size;
	}
	/* Bits past the old total are zero (v2_state_reserve_pages and v2_txn_abort keep
	 * them so); the new pages are free. */
	s->free_count += next - total;
	s->total = next;
	return PAGER_OK;
}

int v2_take_page(pager *p, uint64_t *page)
{
	v2_state *s = &p->v2->s;
	int rc;
	for (int round = 0; round < 2; round++) {
		for (uint64_t i = s->first_data / 8; i < fmt_bitmap_len(s->total); i++) {
			if (s->bitmap[i] == 0xff)
				continue;
			for (unsigned bit = 0; bit < 8; bit++) {
				uint64_t n = i * 8 + bit;
				if (n < s->first_data || n >= s->total || v2_bit(s->bitmap, n))
					continue;
				v2_set(s->bitmap, n);
				s->free_count--;
				*page = n;
				return PAGER_OK;
			}
		}
		if (round == 0 && (rc = grow(p)))
			return rc;
	}
	return PAGER_ECORRUPT_METADATA; /* not reached: a grow adds free pages */
}

/* ---- the root commit ---- */

/* The two slots a commit writes, oldest first: every slot but one holding the newest
 * generation. The kept slot keeps the last commit readable until the first target is
 * synced; the first target keeps the new root readable while the second is written. */
static void targets(const uint64_t gen[V2_SLOTS], unsigned t[2])
{
	unsigned order[V2_SLOTS] = {0, 1, 2};
	for (unsigned i = 1; i < V2_SLOTS; i++)
		for (unsigned j = i; j > 0 && gen[order[j]] < gen[order[j - 1]]; j--) {
			unsigned x = order[j];
			order[j] = order[j - 1];
			order[j - 1] = x;
		}
	t[0] = order[0];
	t[1] = order[1];
}

/* Encode the state's root for `slot` with generation gen into the slot's page. */
static void put_root(pager *p, unsigned slot, uint64_t gen)
{
	v2_state *s = &p->v2->s;
	v2_root r = {.log2 = s->log2, .slot = (uint8_t)slot, .generation = gen, .total = s->total,
		     .free_count = s->free_count, .nblocks = s->nblocks};
	v2_root_encode(page_at(p, v2_slot_page(s->ps, slot)), s->ps, &r, s->blocks, s->bitmap);
}

static int sync_page(pager *p, pio_point pt, uint64_t n)
{
	return pio_sync(&p->io, pt, p->file, p->map, n * p->ps, p->ps);
}

/* A root sync failed after `written` target slots were stored: put the last commit back
 * in memory and in those slots, durably, or stop. */
static int rollback(pager *p, const unsigned t[2], unsigned written, int e)
{
	struct pager_v2 *v = p->v2;
	int rc = pager_io_error(e);
	v2_txn_abort(p);
	for (unsigned i = 0; i < written; i++) {
		/* pager/commit2/rollback_sync: the slot gets the last commit's root (the
		 * generation the kept slot holds). Durable before: the kept slot, and in
		 * this slot the old, a torn or the new root. After: the last commit here. */
		put_root(p, t[i], v->s.generation);
		int e2 = sync_page(p, PIO_COMMIT2_ROLLBACK_SYNC, v2_slot_page(p->ps, t[i]));
		if (e2)
			return poison(p, rc); /* the op's errno stays the root sync's */
		v->s.slot_gen[t[i]] = v->s.generation;
	}
	return rc;
}

int v2_commit(pager *p)
{
	struct pager_v2 *v = p->v2;
	v2_state *s = &v->s;
	unsigned t[2];
	uint64_t gen = s->generation + 1;
	int e;
	targets(s->slot_gen, t);
	/* Step 1 (pager/commit2/root1_sync), the commit point: the next root into the
	 * first target — the slot with the oldest generation (or none), never the kept
	 * newest one — then msync. Durable before: the last commit in at least the kept
	 * slot and every page the next root names (steps of the op, already synced). A
	 * crash before the sync ends leaves this slot old, new or torn: recovery takes
	 * the newest valid root, the last commit or this one. */
	put_root(p, t[0], gen);
	if ((e = sync_page(p, PIO_COMMIT2_ROOT1_SYNC, v2_slot_page(s->ps, t[0]))))
		return rollback(p, t, 1, e);
	s->slot_gen[t[0]] = gen;
	/* Step 2 (pager/commit2/root2_sync): the same root into the second target — a
	 * slot holding an older root or the last commit's other copy — then msync.
	 * Durable before: the new root in the first target. After: the new root in two
	 * slots, so one damaged slot (rot, a misdirected write) still leaves it readable. */
	put_root(p, t[1], gen);
	if ((e = sync_page(p, PIO_COMMIT2_ROOT2_SYNC, v2_slot_page(s->ps, t[1]))))
		return rollback(p, t, 2, e);
	s->slot_gen[t[1]] = gen;
	s->generation = gen;
	v->u.block = UINT32_MAX;
	return PAGER_OK;
}

/* ---- create and open ---- */

int v2_create(const char *path, unsigned log2, const pager_io *io, pager **out)
{
	pager *p;
	int rc, e;
	if ((rc = pager_new(io, log2, &p)))
		return rc;
	p->format = 2;
	if ((rc = v2_new(p, log2)))
		goto fail;
	v2_state *s = &p->v2->s;
	size_t ps = s->ps;
	uint64_t total = v2_initial_pages(ps), len = total * ps;
	if ((e = pio_open(&p->io, PIO_CREATE_OPEN, path, 1, &p->file))) {
		p->file = NULL;
		rc = e == EEXIST ? PAGER_EEXISTS : pager_io_error(e);
		goto fail;
	}
	if ((e = pio_set_len(&p->io, PIO_CREATE_SET_LEN, p->file, len))) {
		rc = pager_io_error(e);
		goto fail;
	}
	if ((e = pio_map(&p->io, PIO_CREATE_MAP, p->file, len, &p->map))) {
		p->map = NULL;
		rc = pager_io_error(e);
		goto fail;
	}
	p->map_len = p->file_len = len;
	if ((rc = v2_state_reserve_pages(s, total)))
		goto fail;
	for (uint64_t i = 0; i < s->first_data; i++)
		v2_set(s->bitmap, i);
	s->total = total;
	s->free_count = total - s->first_data;
	/* Generation 1 into all three slots, then one msync of the whole file
	 * (pager/create2/sync). A crash before it ends leaves any subset of the slots:
	 * none valid is "no file yet" (create had not returned), any valid one is the
	 * empty file. Nothing else needs to be durable: no root names another page. */
	for (unsigned slot = 0; slot < V2_SLOTS; slot++) {
		put_root(p, slot, 1);
		s->slot_gen[slot] = 1;
	}
	s->generation = 1;
	if ((e = pio_sync(&p->io, PIO_CREATE2_SYNC, p->file, p->map, 0, len))) {
		rc = pager_io_error(e);
		goto fail;
	}
	*out = p;
	return PAGER_OK;
fail:
	pager_abandon(p, PIO_CREATE_ABORT_UNMAP, PIO_CREATE_ABORT_CLOSE);
	return rc;
}

int v2_open(pager *p)
{
	v2_state st;
	int rc = v2_load(p->map, p->map_len, &st, NULL, NULL);
	if (rc)
		return rc;
	p->format = 2;
	if ((rc = v2_new(p, st.log2))) {
		v2_state_free(&st);
		return rc;
	}
	v2_state_free(&p->v2->s);
	p->v2->s = st;
	p->v2->u.block = UINT32_MAX;
	p->log2 = st.log2;
	p->ps = st.ps;
	return PAGER_OK;
}

/* ---- regular pages ---- */

int v2_alloc(pager *p, uint64_t *page)
{
	uint64_t n;
	int rc;
	if (p->v2->poisoned)
		return PAGER_EUNAVAILABLE;
	if ((rc = v2_txn_begin(p, UINT32_MAX)))
		return rc;
	/* The page is free in every root recovery can take: nothing is written to it. */
	if ((rc = v2_take_page(p, &n))) {
		v2_txn_abort(p);
		return rc;
	}
	if ((rc = v2_commit(p)))
		return rc;
	*page = n;
	return PAGER_OK;
}

int v2_free(pager *p, uint64_t page)
{
	v2_state *s = &p->v2->s;
	int rc;
	if (p->v2->poisoned)
		return PAGER_EUNAVAILABLE;
	/* Pages the pager owns are refused, never freed: the reserved slots and padding,
	 * directory pages and protected copies. */
	if (page < s->first_data || (page < s->total && v2_bit(s->internal, page)))
		return PAGER_ERESERVED_PAGE;
	if (page >= s->total)
		return PAGER_EOUT_OF_BOUNDS;
	if (!v2_bit(s->bitmap, page))
		return PAGER_EDOUBLE_FREE;
	if ((rc = v2_txn_begin(p, UINT32_MAX)))
		return rc;
	v2_clear(s->bitmap, page);
	s->free_count++;
	return v2_commit(p);
}

int v2_page(pager *p, uint64_t page, uint8_t **data)
{
	v2_state *s = &p->v2->s;
	if (p->v2->poisoned || !p->map)
		return PAGER_EUNAVAILABLE;
	if (page < s->first_data || (page < s->total && v2_bit(s->internal, page)))
		return PAGER_ERESERVED_PAGE;
	if (page >= s->total)
		return PAGER_EOUT_OF_BOUNDS;
	if (!v2_bit(s->bitmap, page))
		return PAGER_ENOT_ALLOCATED;
	*data = page_at(p, page); /* total * ps <= file length: checked at open, kept by grow */
	return PAGER_OK;
}

int v2_foreach_page(pager *p, pager_page_fn fn, void *arg)
{
	v2_state *s = &p->v2->s;
	int r = 0;
	for (uint64_t i = s->first_data; i < s->total && !r; i++)
		if (v2_bit(s->bitmap, i) && !v2_bit(s->internal, i))
			r = fn(arg, i);
	return r;
}

pager_role v2_page_role(const pager *p, uint64_t n)
{
	const v2_state *s = &p->v2->s;
	if (n >= s->total)
		return PAGER_ROLE_BEYOND;
	if (n < s->first_data)
		return n % v2_stride(s->ps) == 0 ? PAGER_ROLE_ROOT : PAGER_ROLE_RESERVED;
	if (!v2_bit(s->bitmap, n))
		return PAGER_ROLE_FREE;
	if (!v2_bit(s->internal, n))
		return PAGER_ROLE_REGULAR;
	for (uint32_t b = 0; b < s->nblocks; b++)
		for (unsigned pair = 0; pair < 2; pair++)
			for (unsigned copy = 0; copy < 2; copy++)
				if (s->blocks[b].page[pair][copy] == n)
					return PAGER_ROLE_DIRECTORY;
	return PAGER_ROLE_PROTECTED;
}

int v2_page_roles(pager *p, uint8_t *roles, uint64_t n)
{
	v2_state *s = &p->v2->s;
	uint64_t stride = v2_stride(s->ps);
	for (uint64_t i = 0; i < n; i++) {
		if (i >= s->total)
			roles[i] = PAGER_ROLE_BEYOND;
		else if (i < s->first_data)
			roles[i] = i % stride == 0 ? PAGER_ROLE_ROOT : PAGER_ROLE_RESERVED;
		else if (!v2_bit(s->bitmap, i))
			roles[i] = PAGER_ROLE_FREE;
		else
			roles[i] = v2_bit(s->internal, i) ? PAGER_ROLE_PROTECTED : PAGER_ROLE_REGULAR;
	}
	/* Directory pages are internal too; say which. */
	for (uint32_t b = 0; b < s->nblocks; b++)
		for (unsigned pair = 0; pair < 2; pair++)
			for (unsigned copy = 0; copy < 2; copy++)
				if (s->blocks[b].page[pair][copy] < n)
					roles[s->blocks[b].page[pair][copy]] = PAGER_ROLE_DIRECTORY;
	return PAGER_OK;
}
