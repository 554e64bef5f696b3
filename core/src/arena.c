/*
 * arena.c - per-message allocations, freed in one call
 *
 * Blocks are chained, newest first; an allocation that does not fit the
 * current block starts a new one at least twice as large as the last,
 * so a message costs O(log n) mallocs.  Reset keeps the first block, so
 * a session that is reused for the next transaction does not go back to
 * malloc for small messages.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <enma/util.h>

#define ARENA_FIRST_BLOCK	4096
#define ARENA_MAX_BLOCK		(1024 * 1024)
#define ARENA_ALIGN		16

struct arena_block {
	struct arena_block	*next;
	size_t			 size;	/* usable bytes after the header */
	size_t			 used;
	_Alignas(ARENA_ALIGN) unsigned char data[];
};

struct enma_arena {
	struct arena_block	*head;	/* newest block */
	struct arena_block	*first;	/* kept by reset */
	size_t			 limit;
	size_t			 handed;	/* bytes handed out */
};

static struct arena_block *
block_new(size_t size)
{
	struct arena_block *b;

	if (size > SIZE_MAX - sizeof(*b))
		return NULL;
	if ((b = malloc(sizeof(*b) + size)) == NULL)
		return NULL;
	b->next = NULL;
	b->size = size;
	b->used = 0;
	return b;
}

/* enma_arena_new - an empty arena; limit 0 = unbounded */
struct enma_arena *
enma_arena_new(size_t limit)
{
	struct enma_arena *a;

	if ((a = calloc(1, sizeof(*a))) == NULL)
		return NULL;
	if ((a->first = block_new(ARENA_FIRST_BLOCK)) == NULL) {
		free(a);
		return NULL;
	}
	a->head = a->first;
	a->limit = limit;
	return a;
}

static void
blocks_free(struct arena_block *b, const struct arena_block *keep)
{
	struct arena_block *next;

	for (; b != NULL && b != keep; b = next) {
		next = b->next;
		free(b);
	}
}

/* enma_arena_free - release everything; NULL is a no-op */
void
enma_arena_free(struct enma_arena *a)
{
	if (a == NULL)
		return;
	blocks_free(a->head, NULL);
	free(a);
}

/* enma_arena_reset - forget every allocation, keep the first block */
void
enma_arena_reset(struct enma_arena *a)
{
	blocks_free(a->head, a->first);
	a->head = a->first;
	a->first->used = 0;
	a->first->next = NULL;
	a->handed = 0;
}

/* enma_arena_alloc - n bytes aligned for any type; NULL past the limit */
void *
enma_arena_alloc(struct enma_arena *a, size_t n)
{
	struct arena_block	*b;
	size_t			 size, off;

	if (n == 0)
		n = 1;
	if (n > SIZE_MAX - ARENA_ALIGN)
		return NULL;
	n = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
	if (a->limit != 0 && (n > a->limit || a->handed > a->limit - n))
		return NULL;
	b = a->head;
	off = b->used;
	if (n > b->size - off) {
		size = b->size < ARENA_MAX_BLOCK ? b->size * 2 : b->size;
		if (size < n)
			size = n;
		if ((b = block_new(size)) == NULL)
			return NULL;
		b->next = a->head;
		a->head = b;
		off = 0;
	}
	b->used = off + n;
	a->handed += n;
	return b->data + off;
}

/* enma_arena_calloc - zeroed array of n elements, overflow checked */
void *
enma_arena_calloc(struct enma_arena *a, size_t n, size_t size)
{
	void *p;

	if (size != 0 && n > SIZE_MAX / size)
		return NULL;
	if ((p = enma_arena_alloc(a, n * size)) != NULL)
		memset(p, 0, n * size);
	return p;
}

/* enma_arena_strndup - NUL-terminated copy of n bytes */
char *
enma_arena_strndup(struct enma_arena *a, const void *s, size_t n)
{
	char *p;

	if (n == SIZE_MAX || (p = enma_arena_alloc(a, n + 1)) == NULL)
		return NULL;
	if (n > 0)
		memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
enma_arena_strdup(struct enma_arena *a, const char *s)
{
	return enma_arena_strndup(a, s, strlen(s));
}

/* enma_arena_printf - formatted text in the arena */
char *
enma_arena_printf(struct enma_arena *a, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;
	char	*p;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || (p = enma_arena_alloc(a, (size_t)n + 1)) == NULL)
		return NULL;
	va_start(ap, fmt);
	(void)vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

size_t
enma_arena_used(const struct enma_arena *a)
{
	return a->handed;
}
