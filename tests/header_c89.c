/*
 * header_c89.c -- gan.h must compile as strict C89 (-std=c89 -pedantic
 * -Wall -Wextra -Werror): no // comments, no declarations after statements
 * in inline code, no C99-only constructs.  Also run: a few calls through
 * the shared library.  header_c11.c includes this file.
 */
#include "gan.h"

#include <stdio.h>
#include <string.h>

int main(void)
{
    gan_model *m = NULL;
    gan_dense_config dc;
    gan_conv2d_config cc;
    gan_batchnorm_config bc;
    gan_batch_config tc;
    gan_loss_config lc;
    gan_optimizer_config oc;
    gan_trainer_config rc;
    int dims[3];
    size_t total = 0;
    gan_status st;

    dims[0] = 4;
    dims[1] = 4;
    dims[2] = 1;
    if (GAN_DENSE_CONFIG_INIT(&dc) != GAN_OK || GAN_CONV2D_CONFIG_INIT(&cc) != GAN_OK ||
        GAN_BATCHNORM_CONFIG_INIT(&bc) != GAN_OK || GAN_BATCH_CONFIG_INIT(&tc) != GAN_OK ||
        GAN_LOSS_CONFIG_INIT(&lc) != GAN_OK || GAN_OPTIMIZER_CONFIG_INIT(&oc) != GAN_OK ||
        GAN_TRAINER_CONFIG_INIT(&rc) != GAN_OK) {
        printf("config init: %s\n", gan_last_error());
        return 1;
    }
    if (gan_version_number() != GAN_VERSION_NUMBER || strcmp(gan_version(), GAN_VERSION_STRING) != 0) {
        printf("header %s, library %s\n", GAN_VERSION_STRING, gan_version());
        return 1;
    }
    cc.filters = 2;
    cc.padding = GAN_PADDING_SAME;
    dc.units = 1;
    st = gan_model_create(&m, 3, dims);
    if (st == GAN_OK)
        st = gan_model_add_conv2d(m, &cc);
    if (st == GAN_OK)
        st = gan_model_add_flatten(m);
    if (st == GAN_OK)
        st = gan_model_add_dense(m, &dc);
    if (st == GAN_OK)
        st = gan_model_param_count(m, &total, NULL);
    gan_model_free(m);
    /* conv 3*3*1*2 + 2 = 20, dense 32 + 1 = 33 */
    if (st != GAN_OK || total != 53) {
        printf("%s (%lu parameters)\n", gan_status_str(st), (unsigned long)total);
        return 1;
    }
    return 0;
}
