/*
 * printf.c: vsnprintf for the kernel: %d %i %u %x %X %p %s %c %%, flags
 * '-', '0', '#', width and precision (also '*'; precision for %s only),
 * length modifiers h, hh, l, ll, z.
 */
#include "minios.h"

struct fmt_out {
	char *buf;
	size_t size;
	size_t len;		/* would-be length, as C99 snprintf */
};

struct fmt_spec {
	bool left, zero, alt;
	int width, prec;
	int lmod;		/* 0 int, 1 long, 2 long long / size_t */
	bool lmod_short;
};

static void out_c(struct fmt_out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

static void out_pad(struct fmt_out *o, char c, int n)
{
	while (n-- > 0)
		out_c(o, c);
}

static void out_str(struct fmt_out *o, const struct fmt_spec *sp, const char *s)
{
	size_t n;

	if (!s)
		s = "(null)";
	n = sp->prec >= 0 ? strnlen(s, (size_t)sp->prec) : strlen(s);
	if (!sp->left)
		out_pad(o, ' ', sp->width - (int)n);
	for (size_t i = 0; i < n; i++)
		out_c(o, s[i]);
	if (sp->left)
		out_pad(o, ' ', sp->width - (int)n);
}

static void out_num(struct fmt_out *o, const struct fmt_spec *sp, uint64_t v,
		    bool neg, unsigned int base, bool upper)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24];
	int n = 0, nd, extra;
	const char *prefix = "";

	do {
		tmp[n++] = digits[v % base];
		v /= base;
	} while (v);
	nd = n;
	if (neg)
		prefix = "-";
	else if (sp->alt && base == 16)
		prefix = upper ? "0X" : "0x";
	extra = (int)strlen(prefix);
	if (!sp->left && !sp->zero)
		out_pad(o, ' ', sp->width - n - extra);
	for (const char *p = prefix; *p; p++)
		out_c(o, *p);
	if (!sp->left && sp->zero)
		out_pad(o, '0', sp->width - n - extra);
	while (n)
		out_c(o, tmp[--n]);
	if (sp->left)
		out_pad(o, ' ', sp->width - nd - extra);
}

static const char *parse_spec(const char *f, struct fmt_spec *sp, va_list *ap)
{
	*sp = (struct fmt_spec){ .prec = -1 };
	for (;; f++) {
		if (*f == '-')
			sp->left = true;
		else if (*f == '0')
			sp->zero = true;
		else if (*f == '#')
			sp->alt = true;
		else
			break;
	}
	if (*f == '*') {
		sp->width = va_arg(*ap, int);
		if (sp->width < 0) {
			sp->left = true;
			sp->width = -sp->width;
		}
		f++;
	}
	while (*f >= '0' && *f <= '9')
		sp->width = sp->width * 10 + (*f++ - '0');
	if (*f == '.') {
		sp->prec = 0;
		if (*++f == '*') {
			sp->prec = va_arg(*ap, int);
			f++;
		}
		for (; *f >= '0' && *f <= '9'; f++)
			sp->prec = sp->prec * 10 + (*f - '0');
	}
	for (;; f++) {
		if (*f == 'l')
			sp->lmod++;
		else if (*f == 'z')
			sp->lmod = 2;
		else if (*f == 'h')
			sp->lmod_short = true;
		else
			break;
	}
	return f;
}

static uint64_t arg_unsigned(const struct fmt_spec *sp, va_list *ap)
{
	if (sp->lmod >= 1)
		return va_arg(*ap, unsigned long);
	return va_arg(*ap, unsigned int);
}

static int64_t arg_signed(const struct fmt_spec *sp, va_list *ap)
{
	if (sp->lmod >= 1)
		return va_arg(*ap, long);
	return va_arg(*ap, int);
}

static void format_one(struct fmt_out *o, struct fmt_spec *sp, char conv,
		       va_list *ap)
{
	int64_t s;

	switch (conv) {
	case 'd':
	case 'i':
		s = arg_signed(sp, ap);
		out_num(o, sp, s < 0 ? -(uint64_t)s : (uint64_t)s, s < 0, 10, false);
		break;
	case 'u':
		out_num(o, sp, arg_unsigned(sp, ap), false, 10, false);
		break;
	case 'x':
	case 'X':
		out_num(o, sp, arg_unsigned(sp, ap), false, 16, conv == 'X');
		break;
	case 'p':
		sp->alt = true;
		out_num(o, sp, (uint64_t)va_arg(*ap, void *), false, 16, false);
		break;
	case 's':
		out_str(o, sp, va_arg(*ap, const char *));
		break;
	case 'c':
		out_c(o, (char)va_arg(*ap, int));
		break;
	default:
		out_c(o, '%');
		if (conv)
			out_c(o, conv);
	}
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct fmt_out o = { buf, size, 0 };
	struct fmt_spec sp;
	va_list aq;

	va_copy(aq, ap);
	while (*fmt) {
		if (*fmt != '%') {
			out_c(&o, *fmt++);
			continue;
		}
		if (fmt[1] == '%') {
			out_c(&o, '%');
			fmt += 2;
			continue;
		}
		fmt = parse_spec(fmt + 1, &sp, &aq);
		format_one(&o, &sp, *fmt, &aq);
		if (*fmt)
			fmt++;
	}
	va_end(aq);
	if (size)
		buf[MIN(o.len, size - 1)] = '\0';
	return (int)MIN(o.len, (size_t)INT32_MAX);
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
