/*
 * progress.c -- training progress.  On a terminal: one line redrawn with
 * \r (bar, step, images/s, ETA, running G/D losses).  Otherwise (a pipe, a
 * log file, CI): a plain line every --log-every steps, or every 10 s.
 */
#include "cli.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

void cli_progress_init(cli_progress *p, uint64_t start_step, uint64_t total_steps,
                       size_t images_per_step, unsigned log_every, int quiet)
{
    memset(p, 0, sizeof *p);
    p->tty = isatty(STDOUT_FILENO);
    p->quiet = quiet;
    p->start_step = start_step;
    p->total_steps = total_steps;
    p->images_per_step = images_per_step;
    p->log_every = log_every;
    p->t0 = p->last_print = cli_now();
}

double cli_progress_rate(const cli_progress *p, uint64_t step)
{
    double dt = cli_now() - p->t0;
    return dt > 0 ? (double)(step - p->start_step) * (double)p->images_per_step / dt : 0.0;
}

static void fmt_time(char *buf, size_t cap, double s)
{
    long t = s < 0 ? 0 : (long)(s + 0.5);
    if (t >= 3600)
        snprintf(buf, cap, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
    else
        snprintf(buf, cap, "%ld:%02ld", t / 60, t % 60);
}

void cli_progress_clear(cli_progress *p)
{
    if (p->bar_drawn) {
        fputs("\r\033[K", stdout);
        p->bar_drawn = 0;
    }
}

void cli_progress_step(cli_progress *p, uint64_t step, uint64_t epoch, const gan_step_stats *s)
{
    double now = cli_now(), rate, eta = -1;
    uint64_t done = step - p->start_step;
    char eta_s[32] = "?";
    /* Exponential moving averages: smooth enough to read, quick to follow. */
    if (!p->have_ema) {
        p->ema_g = s->g_loss;
        p->ema_d = s->d_loss;
        p->have_ema = 1;
    } else {
        p->ema_g = 0.9 * p->ema_g + 0.1 * s->g_loss;
        p->ema_d = 0.9 * p->ema_d + 0.1 * s->d_loss;
    }
    if (p->quiet)
        return;
    if (p->tty ? now - p->last_print < 0.2 && step != p->total_steps
               : p->log_every ? step % p->log_every != 0 : now - p->last_print < 10.0)
        return;
    p->last_print = now;
    rate = cli_progress_rate(p, step);
    if (p->total_steps > step && done > 0)
        eta = (now - p->t0) / (double)done * (double)(p->total_steps - step);
    else if (p->total_steps && p->total_steps <= step)
        eta = 0;
    if (eta >= 0)
        fmt_time(eta_s, sizeof eta_s, eta);
    if (p->tty) {
        char bar[32];
        int width = 24, fill = 0;
        if (p->total_steps)
            fill = (int)((double)width * (double)step / (double)p->total_steps);
        if (fill > width)
            fill = width;
        memset(bar, '#', (size_t)fill);
        memset(bar + fill, '.', (size_t)(width - fill));
        bar[width] = '\0';
        printf("\r\033[K[%s] step %llu/%llu  epoch %llu  %.0f img/s  ETA %s  G %.4f  D %.4f", bar,
               (unsigned long long)step, (unsigned long long)p->total_steps,
               (unsigned long long)epoch, rate, eta_s, p->ema_g, p->ema_d);
        p->bar_drawn = 1;
    } else {
        printf("step %llu/%llu | epoch %llu | %.0f img/s | ETA %s | G Loss: %.4f | D Loss: %.4f\n",
               (unsigned long long)step, (unsigned long long)p->total_steps,
               (unsigned long long)epoch, rate, eta_s, p->ema_g, p->ema_d);
    }
    fflush(stdout);
}
