/* classes.c -- class labels of a conditional generator's samples, shared by
   gan train (sample grids), gan sample --class and gan eval. */
#include "cli.h"

void cli_class_labels(int32_t *labels, size_t n, int n_classes, size_t per_class)
{
    for (size_t i = 0; i < n; i++)
        labels[i] = per_class ? (int32_t)(i / per_class) : (int32_t)(i % (size_t)n_classes);
}

const char *cli_fashion_class_name(int k)
{
    static const char *const names[] = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                        "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"};
    return k >= 0 && k < 10 ? names[k] : NULL;
}
