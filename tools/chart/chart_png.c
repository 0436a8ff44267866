/* tools/chart/chart_png.c: the scene as a PNG through cairo's image surface (the same
 * shapes the SVG has). Built with cairo when CMake finds it (MEMBUDGET_HAVE_CAIRO); without
 * it chart_png_write says how to get it. */
#include <errno.h>
#include <string.h>

#include "chart_scene.h"

#ifdef MEMBUDGET_HAVE_CAIRO
#include <cairo.h>
#include <fontconfig/fontconfig.h>

int chart_png_available(void)
{
    return 1;
}

static void rgb(cairo_t *cr, int64_t c)
{
    cairo_set_source_rgb(cr, (double)(c >> 16 & 0xFF) / 255.0, (double)(c >> 8 & 0xFF) / 255.0,
                         (double)(c & 0xFF) / 255.0);
}

static void draw(cairo_t *cr, const chart_prim *p)
{
    switch (p->type) {
    case PRIM_RECT:
        cairo_rectangle(cr, p->x, p->y, p->w, p->h);
        if (p->fill != PRIM_NONE) {
            rgb(cr, p->fill);
            cairo_fill_preserve(cr);
        }
        if (p->stroke != PRIM_NONE) {
            rgb(cr, p->stroke);
            cairo_set_line_width(cr, p->stroke_width);
            cairo_stroke_preserve(cr);
        }
        cairo_new_path(cr);
        break;
    case PRIM_LINE: {
        double dash[] = {4, 3};
        cairo_move_to(cr, p->x, p->y);
        cairo_line_to(cr, p->x + p->w, p->y + p->h);
        rgb(cr, p->stroke);
        cairo_set_line_width(cr, p->stroke_width);
        cairo_set_dash(cr, dash, p->dashed ? 2 : 0, 0);
        cairo_stroke(cr);
        cairo_set_dash(cr, dash, 0, 0);
        break;
    }
    case PRIM_TEXT: {
        cairo_select_font_face(cr, CHART_FONT, CAIRO_FONT_SLANT_NORMAL,
                               p->bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
        cairo_set_font_size(cr, p->size);
        cairo_text_extents_t e;
        cairo_text_extents(cr, p->text, &e);
        double x = p->x - (p->anchor == 1 ? e.x_advance / 2 : p->anchor == 2 ? e.x_advance : 0);
        rgb(cr, p->fill == PRIM_NONE ? 0 : p->fill);
        cairo_move_to(cr, x, p->y);
        cairo_show_text(cr, p->text);
        cairo_new_path(cr);
        break;
    }
    }
}

int chart_png_write(const chart *c, const char *path, int width_px, char *err, size_t errsz)
{
    chart_scene s;
    if (chart__scene_build(c, width_px > 0 ? width_px : CHART_DEFAULT_WIDTH, &s)) {
        snprintf(err, errsz, "out of memory while laying out the picture");
        return -1;
    }
    cairo_surface_t *sf = cairo_image_surface_create(CAIRO_FORMAT_RGB24, (int)s.width,
                                                     (int)(s.height + 0.5));
    cairo_t *cr = cairo_create(sf);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    for (int i = 0; i < s.n; i++)
        draw(cr, &s.prims[i]);
    cairo_status_t st = cairo_status(cr);
    if (st == CAIRO_STATUS_SUCCESS) {
        errno = 0;
        st = cairo_surface_write_to_png(sf, path);
    }
    int rc = 0;
    if (st != CAIRO_STATUS_SUCCESS) {
        /* cairo says "error while writing to output stream" for a path it cannot open */
        int e = errno;
        snprintf(err, errsz, "%s%s%s",
                 st == CAIRO_STATUS_WRITE_ERROR ? "cannot write it" : cairo_status_to_string(st),
                 e ? ": " : "", e ? strerror(e) : "");
        rc = -1;
    }
    cairo_destroy(cr);
    cairo_surface_destroy(sf);
    chart__scene_free(&s);
    /* cairo's toy text API keeps fontconfig patterns in static caches that only these two
     * release; with every cairo object gone, release them so that the command exits with
     * nothing held (ASan's and valgrind's leak checks); fontconfig starts again on a next
     * picture. Safe in membudget: nothing else in the process uses cairo or fontconfig. */
    cairo_debug_reset_static_data();
    FcFini();
    return rc;
}

#else

int chart_png_available(void)
{
    return 0;
}

int chart_png_write(const chart *c, const char *path, int width_px, char *err, size_t errsz)
{
    (void)c, (void)path, (void)width_px;
    snprintf(err, errsz, "this membudget was built without cairo: install it (apt-get "
                         "install libcairo2-dev) and build again");
    return -1;
}

#endif
