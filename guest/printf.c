// SPDX-License-Identifier: MIT
#include <stdbool.h>
#include <stdint.h>
#include "printf.h"

#define FLAG_LEFT  (1u << 0)
#define FLAG_ZERO  (1u << 1)
#define FLAG_PLUS  (1u << 2)
#define FLAG_SPACE (1u << 3)
#define FLAG_ALT   (1u << 4)

enum length_mod {
	LEN_INT,
	LEN_CHAR,
	LEN_SHORT,
	LEN_LONG,
	LEN_LLONG,
	LEN_SIZE,
	LEN_MAX,
	LEN_PTRDIFF
};

/* Output cursor: counts everything, stores what fits (keeping room for NUL). */
struct out {
	char *buf;
	size_t size;
	size_t pos;
};

static void put_char(struct out *o, char c)
{
	if (o->pos + 1 < o->size)
		o->buf[o->pos] = c;
	o->pos++;
}

static void put_repeat(struct out *o, char c, int n)
{
	while (n-- > 0)
		put_char(o, c);
}

struct spec {
	unsigned int flags;
	int width;
	int precision; /* -1: none */
	enum length_mod len;
	char conv;
};

static void put_string(struct out *o, const struct spec *sp, const char *s)
{
	int n = 0;

	if (!s)
		s = "(null)";
	while (s[n] && (sp->precision < 0 || n < sp->precision))
		n++;
	if (!(sp->flags & FLAG_LEFT))
		put_repeat(o, ' ', sp->width - n);
	for (int i = 0; i < n; i++)
		put_char(o, s[i]);
	if (sp->flags & FLAG_LEFT)
		put_repeat(o, ' ', sp->width - n);
}

/* Formats magnitude v with an optional sign or 0x prefix, honouring width and precision. */
static void put_number(struct out *o, const struct spec *sp, uintmax_t v, bool negative)
{
	const char *digits = sp->conv == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
	unsigned int base = 10;
	char tmp[3 * sizeof(uintmax_t)];
	const char *prefix = "";
	int ndigits = 0, nprefix, nzero, pad;

	if (sp->conv == 'x' || sp->conv == 'X' || sp->conv == 'p')
		base = 16;
	else if (sp->conv == 'o')
		base = 8;

	/* C: a zero value with precision 0 produces no digits. */
	if (!(v == 0 && sp->precision == 0)) {
		do {
			tmp[ndigits++] = digits[v % base];
			v /= base;
		} while (v);
	}

	if (negative)
		prefix = "-";
	else if (sp->flags & FLAG_PLUS && (sp->conv == 'd' || sp->conv == 'i'))
		prefix = "+";
	else if (sp->flags & FLAG_SPACE && (sp->conv == 'd' || sp->conv == 'i'))
		prefix = " ";
	else if (sp->conv == 'p' || (sp->flags & FLAG_ALT && base == 16 && ndigits &&
				     !(ndigits == 1 && tmp[0] == '0')))
		prefix = sp->conv == 'X' ? "0X" : "0x";
	else if (sp->flags & FLAG_ALT && base == 8 && (ndigits == 0 || tmp[ndigits - 1] != '0'))
		prefix = "0";
	nprefix = 0;
	while (prefix[nprefix])
		nprefix++;

	nzero = sp->precision > ndigits ? sp->precision - ndigits : 0;
	pad = sp->width - nprefix - nzero - ndigits;
	if (sp->flags & FLAG_ZERO && !(sp->flags & FLAG_LEFT) && sp->precision < 0 && pad > 0) {
		nzero += pad;
		pad = 0;
	}

	if (!(sp->flags & FLAG_LEFT))
		put_repeat(o, ' ', pad);
	for (int i = 0; i < nprefix; i++)
		put_char(o, prefix[i]);
	put_repeat(o, '0', nzero);
	while (ndigits)
		put_char(o, tmp[--ndigits]);
	if (sp->flags & FLAG_LEFT)
		put_repeat(o, ' ', pad);
}

static intmax_t fetch_signed(enum length_mod len, va_list *ap)
{
	switch (len) {
	case LEN_CHAR:
		return (signed char)va_arg(*ap, int);
	case LEN_SHORT:
		return (short)va_arg(*ap, int);
	case LEN_LONG:
		return va_arg(*ap, long);
	case LEN_LLONG:
		return va_arg(*ap, long long);
	case LEN_SIZE:
	case LEN_PTRDIFF:
		return va_arg(*ap, ptrdiff_t);
	case LEN_MAX:
		return va_arg(*ap, intmax_t);
	default:
		return va_arg(*ap, int);
	}
}

static uintmax_t fetch_unsigned(enum length_mod len, va_list *ap)
{
	switch (len) {
	case LEN_CHAR:
		return (unsigned char)va_arg(*ap, unsigned int);
	case LEN_SHORT:
		return (unsigned short)va_arg(*ap, unsigned int);
	case LEN_LONG:
		return va_arg(*ap, unsigned long);
	case LEN_LLONG:
		return va_arg(*ap, unsigned long long);
	case LEN_SIZE:
	case LEN_PTRDIFF:
		return va_arg(*ap, size_t);
	case LEN_MAX:
		return va_arg(*ap, uintmax_t);
	default:
		return va_arg(*ap, unsigned int);
	}
}

/* Parses the part of a conversion after '%'; returns the position after it. */
static const char *parse_spec(const char *f, struct spec *sp, va_list *ap)
{
	sp->flags = 0;
	sp->width = 0;
	sp->precision = -1;
	sp->len = LEN_INT;

	for (;; f++) {
		if (*f == '-')
			sp->flags |= FLAG_LEFT;
		else if (*f == '0')
			sp->flags |= FLAG_ZERO;
		else if (*f == '+')
			sp->flags |= FLAG_PLUS;
		else if (*f == ' ')
			sp->flags |= FLAG_SPACE;
		else if (*f == '#')
			sp->flags |= FLAG_ALT;
		else
			break;
	}

	if (*f == '*') {
		sp->width = va_arg(*ap, int);
		if (sp->width < 0) {
			sp->flags |= FLAG_LEFT;
			sp->width = sp->width == INT32_MIN ? 0 : -sp->width;
		}
		f++;
	} else {
		while (*f >= '0' && *f <= '9') {
			if (sp->width < 100000)
				sp->width = sp->width * 10 + (*f - '0');
			f++;
		}
	}

	if (*f == '.') {
		f++;
		sp->precision = 0;
		if (*f == '*') {
			sp->precision = va_arg(*ap, int);
			if (sp->precision < 0)
				sp->precision = -1;
			f++;
		} else {
			while (*f >= '0' && *f <= '9') {
				if (sp->precision < 100000)
					sp->precision = sp->precision * 10 + (*f - '0');
				f++;
			}
		}
	}

	switch (*f) {
	case 'h':
		sp->len = f[1] == 'h' ? LEN_CHAR : LEN_SHORT;
		f += f[1] == 'h' ? 2 : 1;
		break;
	case 'l':
		sp->len = f[1] == 'l' ? LEN_LLONG : LEN_LONG;
		f += f[1] == 'l' ? 2 : 1;
		break;
	case 'z':
		sp->len = LEN_SIZE;
		f++;
		break;
	case 'j':
		sp->len = LEN_MAX;
		f++;
		break;
	case 't':
		sp->len = LEN_PTRDIFF;
		f++;
		break;
	default:
		break;
	}
	sp->conv = *f;
	return f;
}

int kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct out o = { .buf = buf, .size = size, .pos = 0 };
	struct spec sp;
	va_list args;
	char c[2] = { 0, 0 };
	intmax_t sv;

	va_copy(args, ap);
	for (const char *f = fmt; *f; f++) {
		if (*f != '%') {
			put_char(&o, *f);
			continue;
		}
		f = parse_spec(f + 1, &sp, &args);
		switch (sp.conv) {
		case 'd':
		case 'i':
			sv = fetch_signed(sp.len, &args);
			/* Negate in unsigned arithmetic so INTMAX_MIN works. */
			put_number(&o, &sp, sv < 0 ? -(uintmax_t)sv : (uintmax_t)sv, sv < 0);
			break;
		case 'u':
		case 'x':
		case 'X':
		case 'o':
			put_number(&o, &sp, fetch_unsigned(sp.len, &args), false);
			break;
		case 'p':
			put_number(&o, &sp, (uintptr_t)va_arg(args, void *), false);
			break;
		case 'c':
			c[0] = (char)va_arg(args, int);
			sp.precision = -1;
			if (c[0]) {
				put_string(&o, &sp, c);
			} else {
				/* A NUL character still counts as one. */
				if (!(sp.flags & FLAG_LEFT))
					put_repeat(&o, ' ', sp.width - 1);
				put_char(&o, 0);
				if (sp.flags & FLAG_LEFT)
					put_repeat(&o, ' ', sp.width - 1);
			}
			break;
		case 's':
			put_string(&o, &sp, va_arg(args, const char *));
			break;
		case '%':
			put_char(&o, '%');
			break;
		case '\0':
			/* A lone '%' at the end: print it and stop. */
			put_char(&o, '%');
			f--;
			break;
		default:
			/* Unknown conversion: show it rather than guess at its argument. */
			put_char(&o, '%');
			put_char(&o, sp.conv);
			break;
		}
	}
	va_end(args);

	if (size)
		buf[o.pos < size ? o.pos : size - 1] = '\0';
	return o.pos > INT32_MAX ? INT32_MAX : (int)o.pos;
}

int ksnprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = kvsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
