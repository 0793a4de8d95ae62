// header_cxx.cpp -- gan.h must compile as C++ (-pedantic -Wall -Wextra
// -Werror) and link with C linkage (extern "C").
#include "gan.h"

#include <cstdio>
#include <cstring>

int main()
{
    gan_model *m = nullptr;
    gan_dense_config dc;
    gan_conv2d_config cc;
    gan_batchnorm_config bc;
    gan_batch_config tc;
    gan_loss_config lc;
    gan_optimizer_config oc;
    gan_trainer_config rc;
    const int dims[1] = {5};
    size_t total = 0;
    if (GAN_DENSE_CONFIG_INIT(&dc) != GAN_OK || GAN_CONV2D_CONFIG_INIT(&cc) != GAN_OK ||
        GAN_BATCHNORM_CONFIG_INIT(&bc) != GAN_OK || GAN_BATCH_CONFIG_INIT(&tc) != GAN_OK ||
        GAN_LOSS_CONFIG_INIT(&lc) != GAN_OK || GAN_OPTIMIZER_CONFIG_INIT(&oc) != GAN_OK ||
        GAN_TRAINER_CONFIG_INIT(&rc) != GAN_OK)
        return 1;
    dc.units = 3;
    gan_status st = gan_model_create(&m, 1, dims);
    if (st == GAN_OK)
        st = gan_model_add_dense(m, &dc);
    if (st == GAN_OK)
        st = gan_model_param_count(m, &total, nullptr);
    gan_model_free(m);
    if (st != GAN_OK || total != 18) { // 5*3 + 3
        std::printf("%s: %s\n", gan_status_str(st), gan_last_error());
        return 1;
    }
    return std::strcmp(gan_version(), GAN_VERSION_STRING) != 0;
}
