import { englishMessages } from '../../shared/zod-messages';

// The AWS SDK warns once per process that its 2027 releases need Node 22; Lambda runs Node 24,
// and the warning would only interleave with test output here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

// Every Gantry process configures zod's English messages at its start (functions through
// observability(), the command in its main); the tests run the same modules in-process.
englishMessages();
