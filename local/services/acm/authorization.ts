/**
 * The IAM checks of each ACM operation (Service Authorization Reference, "Actions, resources,
 * and condition keys for AWS Certificate Manager"): the certificate's ARN with its tags as
 * `aws:ResourceTag/*`, and the tags a request sets (`aws:RequestTag/*`, `aws:TagKeys`).
 * ListCertificates and the account configuration take no resource.
 */
import {
  describeWith,
  inputString,
  inputTags,
  requestTagContext,
  resourceTagContext,
  type ServiceAuthorizer,
  type ServiceDescriptors,
  type TagLike,
} from '../../core/iam/index.js';
import type { RequestContext } from '../../types.js';

export interface AcmAuthState {
  /** The tags of a certificate of the caller's account and Region; undefined when there is none. */
  tagsOf(ctx: RequestContext, certificateArn: string): readonly TagLike[] | undefined;
}

type Describe = ServiceDescriptors<AcmAuthState>['operations'][string];

const onCertificate =
  (withRequestTags = false): Describe =>
  ({ operation, input, ctx, state }) => {
    const arn = inputString(input, 'CertificateArn');
    if (arn === undefined) {
      return [
        {
          action: `acm:${operation}`,
          resource: '*',
          ...(withRequestTags ? { context: requestTagContext(inputTags(input.Tags)) } : {}),
        },
      ];
    }
    return [
      {
        action: `acm:${operation}`,
        resource: arn,
        context: {
          ...resourceTagContext(state.tagsOf(ctx, arn)),
          ...(withRequestTags ? requestTagContext(inputTags(input.Tags)) : {}),
        },
      },
    ];
  };

export const ACM_DESCRIPTORS: ServiceDescriptors<AcmAuthState> = {
  prefix: 'acm',
  operations: {
    // A first import creates a certificate (no ARN yet); a re-import names it.
    ImportCertificate: onCertificate(true),
    RequestCertificate: ({ input }) => [
      { action: 'acm:RequestCertificate', resource: '*', context: requestTagContext(inputTags(input.Tags)) },
    ],
    DescribeCertificate: onCertificate(),
    GetCertificate: onCertificate(),
    ExportCertificate: onCertificate(),
    RenewCertificate: onCertificate(),
    DeleteCertificate: onCertificate(),
    AddTagsToCertificate: onCertificate(true),
    RemoveTagsFromCertificate: ({ input, ctx, state }) => {
      const arn = inputString(input, 'CertificateArn') ?? '*';
      return [
        {
          action: 'acm:RemoveTagsFromCertificate',
          resource: arn,
          context: {
            ...resourceTagContext(state.tagsOf(ctx, arn)),
            'aws:TagKeys': (inputTags(input.Tags) ?? []).map((t) => t.Key),
          },
        },
      ];
    },
    ListTagsForCertificate: onCertificate(),
    UpdateCertificateOptions: onCertificate(),
    ResendValidationEmail: onCertificate(),
  },
};

export const acmAuthorization = (state: AcmAuthState): ServiceAuthorizer => ({
  prefix: 'acm',
  checks: describeWith(ACM_DESCRIPTORS, state),
});
